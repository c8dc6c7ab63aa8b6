-- One row per (page, distinct category) of a pages-articles dump, with the sort key of the
-- category's first mention on the page (null if none).
--
-- Written by spark_jobs/articles.py; partition dt = the dump date (yyyy-MM-dd). category is the
-- name without its namespace prefix (Category:, or the wiki's own name for namespace 14).
-- ${bucket} is replaced with the data bucket by the CatalogStack; the local engine ignores it.
CREATE EXTERNAL TABLE IF NOT EXISTS article_categories (
  wiki string,
  page_id bigint,
  category string,
  sort_key string
)
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://${bucket}/processed/article_categories/'
TBLPROPERTIES ('parquet.compression' = 'ZSTD');
