-- Table `edits`: every valid event, sorted like the job's file (channel, then time).
SELECT * FROM edits_events
ORDER BY channel, event_time
