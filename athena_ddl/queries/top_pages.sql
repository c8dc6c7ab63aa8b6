-- Top pages of one project for a day by views, optionally for one access site, optionally
-- articles only: without Main_Page, the `-` title and pages of the non-article namespaces
-- (Special, Talk, User, Wikipedia/Project, File, MediaWiki, Template, Help, Category, Portal,
-- Draft, Module, TimedText and their talk namespaces; English canonical names, any case).
--
-- Reads pageviews_daily. mobile_views include Wikipedia Zero (access_site zero). Ties rank by
-- title. Athena console: type strings in single quotes, e.g. 'en.wikipedia', and true/false bare.
-- @param dt date: the batch day, yyyy-MM-dd
-- @param project varchar: project as in pageviews_daily, e.g. en.wikipedia, www.wikidata
-- @param access_site varchar = all: desktop, mobile, zero, or all
-- @param articles_only boolean = true: leave out Main_Page, `-` and non-article namespaces
-- @param top_n bigint = 10: how many pages to list
WITH per_page AS (
  SELECT
    page_title,
    sum(views) AS views,
    sum(CASE WHEN access_site = 'desktop' THEN views ELSE 0 END) AS desktop_views,
    sum(CASE WHEN access_site IN ('mobile', 'zero') THEN views ELSE 0 END) AS mobile_views
  FROM pageviews_daily
  WHERE dt = ?
    AND project = ?
    AND ? IN ('all', access_site)
    AND NOT (
      ?
      AND regexp_like(
        page_title,
        '(?i)^(main_page|-)$|^(special|media|talk|user|wikipedia|project|file|image|mediawiki|template|help|category|portal|draft|module|timedtext)(_talk)?:'
      )
    )
  GROUP BY page_title
),
ranked AS (
  SELECT
    row_number() OVER (ORDER BY views DESC, page_title) AS rank,
    page_title, views, desktop_views, mobile_views
  FROM per_page
)
SELECT rank, page_title, views, desktop_views, mobile_views
FROM ranked
WHERE rank <= ?
ORDER BY rank
