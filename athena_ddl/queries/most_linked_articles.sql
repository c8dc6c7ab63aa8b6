-- The link targets that the most articles link to: distinct linking pages in namespace 0
-- (redirect pages left out as sources), with the links' total occurrences.
--
-- Reads article_links and articles (one dump). Targets are normalized titles (spaces, first letter
-- upper case, no #fragment); a target may itself be a redirect or a page missing from the dump.
-- Ties rank by target. Athena console: type strings in single quotes.
-- @param dt date: the dump date, yyyy-MM-dd
-- @param wiki varchar = enwiki: the wiki's dbname, e.g. enwiki, dewiki
-- @param top_n bigint = 10: how many targets to list
WITH per_target AS (
  SELECT
    l.target,
    count(DISTINCT l.page_id) AS linking_pages,
    sum(l.occurrences) AS occurrences
  FROM article_links l
  JOIN articles a ON a.dt = l.dt AND a.wiki = l.wiki AND a.page_id = l.page_id
  WHERE l.dt = ?
    AND l.wiki = ?
    AND a.namespace = 0
    AND a.redirect_title IS NULL
  GROUP BY l.target
),
ranked AS (
  SELECT
    row_number() OVER (ORDER BY linking_pages DESC, target) AS rank,
    target, linking_pages, occurrences
  FROM per_target
)
SELECT rank, target, linking_pages, occurrences
FROM ranked
WHERE rank <= ?
ORDER BY rank
