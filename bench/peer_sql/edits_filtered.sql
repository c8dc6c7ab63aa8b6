-- Table `edits_filtered`: human edits from the job's --country.
SELECT * FROM edits_events
WHERE NOT is_robot AND country_name = {country}
ORDER BY channel, event_time
