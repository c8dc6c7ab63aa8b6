-- One row per (page, distinct link target) of a pages-articles dump; occurrences = how many
-- links of the page's text go to that target (rules: docs/datasets.md).
--
-- Written by spark_jobs/articles.py; partition dt = the dump date (yyyy-MM-dd). target is
-- normalized as MediaWiki shows titles: spaces, first letter upper case, no #fragment.
-- ${bucket} is replaced with the data bucket by the CatalogStack; the local engine ignores it.
CREATE EXTERNAL TABLE IF NOT EXISTS article_links (
  wiki string,
  page_id bigint,
  target string,
  occurrences int
)
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://${bucket}/processed/article_links/'
TBLPROPERTIES ('parquet.compression' = 'ZSTD');
