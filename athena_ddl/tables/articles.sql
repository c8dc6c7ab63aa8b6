-- One row per page of a pages-articles dump: its namespace, title, redirect target, latest
-- revision and size, with how many distinct link targets and categories its text has.
--
-- Written by spark_jobs/articles.py; partition dt = the dump date (yyyy-MM-dd). title and
-- redirect_title as in the dump (spaces, not underscores); wiki = the siteinfo's dbname (enwiki).
-- ${bucket} is replaced with the data bucket by the CatalogStack; the local engine ignores it.
CREATE EXTERNAL TABLE IF NOT EXISTS articles (
  wiki string,
  page_id bigint,
  namespace int,
  title string,
  redirect_title string,
  revision_id bigint,
  revision_timestamp timestamp,
  contributor string,
  text_bytes bigint,
  links int,
  categories int
)
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://${bucket}/processed/articles/'
TBLPROPERTIES ('parquet.compression' = 'ZSTD');
