-- Table `projectviews_hourly`: views and pages per (hour, project, access_site); pages = lines,
-- one per page and hour in the dumps (the job's definition).
SELECT
  hour,
  project,
  access_site,
  sum(views) AS views,
  count(*) AS pages
FROM pageview_lines
GROUP BY hour, project, access_site
ORDER BY project, access_site, hour
