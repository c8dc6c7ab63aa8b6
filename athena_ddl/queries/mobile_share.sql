-- Mobile vs desktop share of views per project for a day, for the projects with the most views
-- (mobile includes Wikipedia Zero; views of unrecognised domain codes, project 'unknown', are
-- left out).
--
-- Reads projectviews_hourly. Ties rank by project. Athena console: type strings in single quotes.
-- @param dt date: the batch day, yyyy-MM-dd
-- @param top_n bigint = 15: how many projects to list, by total views
WITH per_project AS (
  SELECT
    project,
    sum(views) AS views,
    sum(CASE WHEN access_site = 'desktop' THEN views ELSE 0 END) AS desktop_views,
    sum(CASE WHEN access_site IN ('mobile', 'zero') THEN views ELSE 0 END) AS mobile_views
  FROM projectviews_hourly
  WHERE dt = ?
    AND project <> 'unknown'
  GROUP BY project
),
ranked AS (
  SELECT
    row_number() OVER (ORDER BY views DESC, project) AS rank,
    project, views, desktop_views, mobile_views
  FROM per_project
)
SELECT
  rank,
  project,
  round(100 * CAST(mobile_views AS double) / views, 1) AS mobile_pct,
  round(100 * CAST(desktop_views AS double) / views, 1) AS desktop_pct,
  views,
  mobile_views,
  desktop_views
FROM ranked
WHERE rank <= ?
ORDER BY rank
