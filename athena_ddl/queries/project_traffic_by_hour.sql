-- Hourly views of one project for a day, desktop vs mobile (mobile includes Wikipedia Zero).
--
-- Reads projectviews_hourly; hour = the HH of the source dump file name (see the jobs section of
-- the README). Hours without a dump file have no row. Athena console: type strings in single
-- quotes, e.g. '2015-09-12' and 'en.wikipedia'.
-- @param dt date: the batch day, yyyy-MM-dd
-- @param project varchar: project as in projectviews_hourly, e.g. en.wikipedia
SELECT
  hour,
  sum(views) AS views,
  sum(CASE WHEN access_site = 'desktop' THEN views ELSE 0 END) AS desktop_views,
  sum(CASE WHEN access_site IN ('mobile', 'zero') THEN views ELSE 0 END) AS mobile_views
FROM projectviews_hourly
WHERE dt = ?
  AND project = ?
GROUP BY hour
ORDER BY hour
