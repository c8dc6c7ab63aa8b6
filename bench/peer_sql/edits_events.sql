-- Staging: every valid edit event of the input files, typed and renamed like the `edits` table.
-- Valid = time, channel and page present and not blank, and time parses (the job's rules; the
-- peer does not write rejected records). One pass over the input; the three tables read this.
CREATE TEMP TABLE edits_events AS
SELECT
  try_cast("time" AS TIMESTAMP) AS event_time,
  channel,
  page,
  namespace,
  "user" AS user_name,
  comment,
  isAnonymous AS is_anonymous,
  isMinor AS is_minor,
  isNew AS is_new,
  isRobot AS is_robot,
  isUnpatrolled AS is_unpatrolled,
  cityName AS city_name,
  countryIsoCode AS country_iso_code,
  countryName AS country_name,
  regionIsoCode AS region_iso_code,
  regionName AS region_name,
  metroCode AS metro_code,
  delta,
  added,
  deleted
FROM read_json(
  {input},
  format = 'newline_delimited',
  columns = {
    'time': 'VARCHAR', 'channel': 'VARCHAR', 'cityName': 'VARCHAR', 'comment': 'VARCHAR',
    'countryIsoCode': 'VARCHAR', 'countryName': 'VARCHAR', 'isAnonymous': 'BOOLEAN',
    'isMinor': 'BOOLEAN', 'isNew': 'BOOLEAN', 'isRobot': 'BOOLEAN', 'isUnpatrolled': 'BOOLEAN',
    'metroCode': 'BIGINT', 'namespace': 'VARCHAR', 'page': 'VARCHAR', 'regionIsoCode': 'VARCHAR',
    'regionName': 'VARCHAR', 'user': 'VARCHAR', 'delta': 'BIGINT', 'added': 'BIGINT',
    'deleted': 'BIGINT'
  }
)
WHERE try_cast("time" AS TIMESTAMP) IS NOT NULL
  AND coalesce(trim(channel), '') <> ''
  AND coalesce(trim(page), '') <> ''
