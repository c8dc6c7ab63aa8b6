-- The categories with the most member pages in one dump, and how many of them are articles
-- (namespace 0) and subcategories (namespace 14).
--
-- Reads article_categories and articles. Category names without their prefix, first letter upper
-- case. Ties rank by category. Athena console: type strings in single quotes.
-- @param dt date: the dump date, yyyy-MM-dd
-- @param wiki varchar = enwiki: the wiki's dbname, e.g. enwiki, dewiki
-- @param top_n bigint = 10: how many categories to list
WITH per_category AS (
  SELECT
    c.category,
    count(*) AS members,
    sum(CASE WHEN a.namespace = 0 THEN 1 ELSE 0 END) AS articles,
    sum(CASE WHEN a.namespace = 14 THEN 1 ELSE 0 END) AS subcategories
  FROM article_categories c
  JOIN articles a ON a.dt = c.dt AND a.wiki = c.wiki AND a.page_id = c.page_id
  WHERE c.dt = ?
    AND c.wiki = ?
  GROUP BY c.category
),
ranked AS (
  SELECT
    row_number() OVER (ORDER BY members DESC, category) AS rank,
    category, members, articles, subcategories
  FROM per_category
)
SELECT rank, category, members, articles, subcategories
FROM ranked
WHERE rank <= ?
ORDER BY rank
