-- Table `pageviews_daily`: views per (domain_code, page_title) over the day and the number of
-- distinct hours the page is in (OR of one bit per hour: exact, and no DISTINCT aggregate);
-- sorted like the job's files so the same row-group statistics come out.
SELECT
  domain_code,
  any_value(project) AS project,
  any_value(access_site) AS access_site,
  page_title,
  sum(views) AS views,
  CAST(bit_count(bit_or(1::BIGINT << hour)) AS INTEGER) AS hours_seen
FROM pageview_lines
GROUP BY domain_code, page_title
ORDER BY project, access_site, views DESC, domain_code, page_title
