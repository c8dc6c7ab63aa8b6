-- How big articles are: namespace-0 pages that are not redirects, counted in buckets of their
-- revision text's size in bytes (UTF-8), with each bucket's share.
--
-- Reads articles. Buckets are [lower, upper) bytes; every bucket is listed, empty ones with 0.
-- Athena console: type strings in single quotes.
-- @param dt date: the dump date, yyyy-MM-dd
-- @param wiki varchar = enwiki: the wiki's dbname, e.g. enwiki, dewiki
WITH buckets (bucket, lower_bytes, upper_bytes) AS (
  VALUES
    ('< 1 KB', 0, 1000),
    ('1-5 KB', 1000, 5000),
    ('5-10 KB', 5000, 10000),
    ('10-25 KB', 10000, 25000),
    ('25-50 KB', 25000, 50000),
    ('50-100 KB', 50000, 100000),
    ('>= 100 KB', 100000, 9223372036854775807)
),
pages AS (
  SELECT text_bytes
  FROM articles
  WHERE dt = ?
    AND wiki = ?
    AND namespace = 0
    AND redirect_title IS NULL
)
SELECT
  b.bucket,
  count(p.text_bytes) AS pages,
  round(100.0 * count(p.text_bytes) / (SELECT greatest(count(*), 1) FROM pages), 1) AS percent,
  b.lower_bytes
FROM buckets b
LEFT JOIN pages p ON p.text_bytes >= b.lower_bytes AND p.text_bytes < b.upper_bytes
GROUP BY b.bucket, b.lower_bytes
ORDER BY b.lower_bytes
