-- The most viewed pages of a project on one day (pageviews) with their size, links and categories
-- from one dump (articles): the query that joins two datasets.
--
-- Titles are matched as MediaWiki writes them: pageviews titles use `_` where the dump's titles
-- have spaces, so `replace(page_title, '_', ' ')` must equal the dump's title exactly (case
-- included). A matched redirect is followed once: size, links and categories are its target's.
-- Percent-encoded pageviews titles (a few per cent of lines) are not decoded and do not match;
-- titles missing from the dump (deleted, newer, other namespaces) keep null article columns.
-- Reads pageviews_daily and articles. Ties rank by title. Athena console: strings in quotes.
-- @param pageviews_dt date: the pageviews day, yyyy-MM-dd
-- @param project varchar: project as in pageviews_daily, e.g. en.wikipedia
-- @param articles_dt date: the dump date, yyyy-MM-dd
-- @param wiki varchar = enwiki: the dump's wiki (dbname) for that project
-- @param top_n bigint = 10: how many pages to list
WITH views AS (
  SELECT page_title, sum(views) AS views
  FROM pageviews_daily
  WHERE dt = ?
    AND project = ?
  GROUP BY page_title
),
top_views AS (
  SELECT
    row_number() OVER (ORDER BY views DESC, page_title) AS rank,
    page_title, views
  FROM views
),
dump AS (
  SELECT title, namespace, redirect_title, text_bytes, links, categories
  FROM articles
  WHERE dt = ?
    AND wiki = ?
)
SELECT
  t.rank,
  t.page_title,
  t.views,
  coalesce(target.title, page.title) AS article,
  page.redirect_title IS NOT NULL AS via_redirect,
  coalesce(target.text_bytes, page.text_bytes) AS text_bytes,
  coalesce(target.links, page.links) AS links,
  coalesce(target.categories, page.categories) AS categories
FROM top_views t
LEFT JOIN dump page ON page.title = replace(t.page_title, '_', ' ')
LEFT JOIN dump target ON target.title = page.redirect_title
WHERE t.rank <= ?
ORDER BY t.rank
