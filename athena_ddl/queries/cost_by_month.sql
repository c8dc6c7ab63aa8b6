-- What the runs cost per month (of their start, UTC) and dataset: runs, how many of them were
-- priced, the USD estimate of those, EMR's normalized instance hours (EMR on EC2) and vCPU hours
-- (EMR Serverless). Local runs count as runs with no cost.
--
-- Reads runs. USD are estimates at the price table's date (wikilake_core/prices.py).
SELECT
  substr(started_at, 1, 7) AS month,
  dataset,
  count(*) AS runs,
  count(usd) AS priced_runs,
  round(sum(usd), 2) AS usd,
  round(sum(normalized_instance_hours), 1) AS normalized_instance_hours,
  round(sum(vcpu_hours), 2) AS vcpu_hours
FROM runs
WHERE started_at IS NOT NULL
GROUP BY substr(started_at, 1, 7), dataset
ORDER BY month DESC, dataset
