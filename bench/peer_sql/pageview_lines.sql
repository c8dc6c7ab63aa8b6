-- Staging: every valid line of the day's hourly files with its hour and its project/access_site.
-- Valid = exactly 4 space-separated fields (read_csv skips other lines), a non-empty domain code
-- and a non-negative integer count_views (the job's rules; the peer does not write rejected
-- records). hour = the HH in the file name. The domain-code rules run once per distinct code.
CREATE TEMP TABLE pageview_lines AS
WITH lines AS (
  SELECT
    CAST(regexp_extract(filename, 'pageviews-[0-9]{8}-([0-9]{2})[0-9]{4}\.gz$', 1) AS INTEGER) AS hour,
    domain_code,
    coalesce(page_title, '') AS page_title,
    count_views AS views
  FROM read_csv(
    {input},
    delim = ' ', quote = '', escape = '', header = false, auto_detect = false,
    columns = {
      'domain_code': 'VARCHAR', 'page_title': 'VARCHAR', 'count_views': 'BIGINT',
      'total_response_size': 'VARCHAR'
    },
    filename = true, ignore_errors = true
  )
  WHERE domain_code IS NOT NULL AND count_views >= 0
),
codes AS (
  SELECT
    domain_code,
    domain_project(string_split(domain_code, '.')) AS project,
    domain_access(string_split(domain_code, '.')) AS access_site
  FROM (SELECT DISTINCT domain_code FROM lines)
)
SELECT lines.hour, lines.domain_code, codes.project, codes.access_site, lines.page_title, lines.views
FROM lines JOIN codes USING (domain_code)
