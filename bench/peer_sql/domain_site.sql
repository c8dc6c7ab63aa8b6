-- Macros domain_access(parts) and domain_project(parts): the domain-code rules of the dataset
-- spec over string_split(domain_code, '.'). A code is a site, then an optional `.m` (mobile) or
-- `.zero`, then an optional project suffix ({project_suffixes}); after a Wikimedia site
-- ({wikimedia_sites}) a lone trailing `.m` is the wikimedia suffix (`commons.m` desktop,
-- `commons.m.m` mobile); wikidata and mediawiki.org are `www.wd`/`m.wd` and `www.w`/`m.w`.
-- Codes the rules do not cover: project and access_site 'unknown'. The job's lookup tables,
-- rules written in SQL independently of the job's code, so the harness's row-count check also
-- cross-checks the two.
CREATE TEMP MACRO domain_is_www(parts) AS
  len(parts) = 2 AND parts[1] IN ('www', 'm') AND parts[2] IN ('wd', 'w');

CREATE TEMP MACRO domain_marker(parts) AS CASE
  WHEN domain_is_www(parts) THEN ''
  WHEN len(parts) = 2 AND parts[2] = 'm' AND list_contains({wikimedia_sites}, parts[1]) THEN ''
  WHEN len(parts) >= 2 AND parts[2] IN ('m', 'zero') THEN parts[2]
  ELSE ''
END;

CREATE TEMP MACRO domain_suffix(parts) AS
  list_aggregate(parts[CASE WHEN domain_marker(parts) = '' THEN 2 ELSE 3 END:], 'string_agg', '.');

CREATE TEMP MACRO domain_known(parts) AS
  regexp_full_match(parts[1], '[a-z0-9][a-z0-9_-]*')
  AND coalesce(domain_suffix(parts), '') IN (SELECT unnest(map_keys({project_suffixes})))
  AND (domain_is_www(parts) OR parts[1] NOT IN ('www', 'm'));

CREATE TEMP MACRO domain_access(parts) AS CASE
  WHEN NOT domain_known(parts) THEN 'unknown'
  WHEN domain_is_www(parts) AND parts[1] = 'm' THEN 'mobile'
  WHEN domain_marker(parts) = 'm' THEN 'mobile'
  WHEN domain_marker(parts) = 'zero' THEN 'zero'
  ELSE 'desktop'
END;

CREATE TEMP MACRO domain_project(parts) AS CASE
  WHEN NOT domain_known(parts) THEN 'unknown'
  WHEN domain_is_www(parts) THEN 'www.' || {project_suffixes}[parts[2]]
  ELSE parts[1] || '.' || {project_suffixes}[coalesce(domain_suffix(parts), '')]
END;
