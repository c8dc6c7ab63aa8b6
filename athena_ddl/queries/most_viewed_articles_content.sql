-- The most viewed pages of a project on one day (pageviews) with their size, links and categories
-- from one dump (articles): the query that joins two datasets.
--
-- Titles are matched as MediaWiki writes them: pageviews titles use `_` where the dump's titles
-- have spaces, so the pageviews title, percent-decoded, with `_` as a space, must equal the dump's
-- title exactly (case included). A matched redirect is followed once: size, links and categories
-- are its target's. Titles missing from the dump (deleted, newer, other namespaces) keep null
-- article columns.
-- Percent-decoding (`Caf%C3%A9` -> `Café`, `O%27Brien`, `100%25`): only a title whose every `%`
-- starts an escape sequence of well-formed UTF-8 (the regular expression: Unicode's table of
-- well-formed byte sequences, no overlongs or surrogates) is decoded; any other title (`%E2%82`
-- cut short, a bare `100%`) is matched as it is. The guard makes Trino's url_decode (Java's
-- URLDecoder: fails the query on a bad escape, turns bad UTF-8 into U+FFFD) and DuckDB's (keeps
-- a bad escape, fails on bad UTF-8) give the same result; `+` is kept as `+` (URLDecoder would
-- make it a space, MediaWiki titles use it literally).
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
    page_title, views,
    replace(
      CASE
        WHEN regexp_like(page_title, '^([^%]|%[0-7][0-9A-Fa-f]|%[Cc][2-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Dd][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ee]0%[ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ee][1-9A-Ca-cEeFf]%[89ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ee][Dd]%[89][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ff]0%[9ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ff][1-3]%[89ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ff]4%8[0-9A-Fa-f]%[89ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f])*$')
          THEN url_decode(replace(page_title, '+', '%2B'))
        ELSE page_title
      END,
      '_', ' '
    ) AS dump_title
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
LEFT JOIN dump page ON page.title = t.dump_title
LEFT JOIN dump target ON target.title = page.redirect_title
WHERE t.rank <= ?
ORDER BY t.rank
