"""The cross-check's rules written by hand in DuckDB's SQL: the reference the benchmark holds yibao's rules (Ibis
→ DuckDB) and its whole run to, and checks against what was planted."""

from __future__ import annotations

from yibao.adapters.snapshot import Snapshot
from yibao.domain.crosscheck.inputs import Params


def parquet_views(snapshot: Snapshot) -> str:
    """The snapshot's files as the relations the query reads: the records' tables and ``reference`` (the lists)."""
    views = "".join(
        f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{path}');\n"
        for name, path in snapshot.tables.items()
    )
    return views + list_view(snapshot)


def list_view(snapshot: Snapshot) -> str:
    files = ", ".join(f"'{path}'" for path in snapshot.lists.values())
    return f"CREATE OR REPLACE VIEW reference AS SELECT * FROM read_parquet([{files}], union_by_name = true);\n"


def hand_written_query(params: Params) -> str:
    """The same rules, as one would write them by hand in DuckDB's SQL, over relations named as the snapshot's
    tables and ``reference``."""
    year, start, end = params.year, params.year_start, params.year_end
    identities = ", ".join(f"'{identity}'" for identity in params.subsidised_identities)
    none = "NULL::DATE AS evidence_date, NULL::BIGINT AS amount_fen, NULL::VARCHAR AS detail"
    return f"""
WITH
enrolled AS (
  SELECT e.id AS enrollment_id, r.id AS resident_id, r.id_number, r.name, r.birth_date, e.township_code,
         r.village_code, e.category, e.tier, e.state, e.assisted_subsidy_fen, e.benefit_start
  FROM enrollments e JOIN residents r ON e.resident_id = r.id
  WHERE e.insurance_year = {year} AND e.state <> 'cancelled'),
enrolled_before AS (
  SELECT r.id_number FROM enrollments e JOIN residents r ON e.resident_id = r.id
  WHERE e.insurance_year = {year - 1} AND e.state <> 'cancelled'),
deaths AS (
  SELECT id_number, list_id, event_date FROM reference WHERE kind = 'deaths' AND event_date <= DATE '{params.as_of}'
  QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY event_date, list_id) = 1),
gone AS (
  SELECT id_number FROM enrolled
  UNION SELECT id_number FROM reasons WHERE insurance_year = {year} AND NOT withdrawn
  UNION SELECT id_number FROM deaths
  UNION SELECT id_number FROM residents WHERE survival_status = 'deceased'),
certified AS (SELECT * FROM identity_flags WHERE identity IN ({identities}) AND source <> '名册'),
flagged_in_year AS (
  SELECT * FROM certified WHERE (valid_from IS NULL OR valid_from <= DATE '{end}')
                            AND (valid_to IS NULL OR valid_to >= DATE '{start}')),
register AS (
  SELECT * FROM reference WHERE kind = 'population'
  QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY list_id) = 1),
last_year AS (
  SELECT id_number FROM enrolled_before UNION SELECT id_number FROM reference WHERE kind = 'last_year_enrollment'),
tax_list AS (
  SELECT id_number, min(name) AS name, min(list_id) AS list_id, sum(amount_fen) AS paid_fen,
         max(event_date) AS paid_on, min(township_code) AS township_code, min(village_code) AS village_code
  FROM reference WHERE kind = 'tax_payments' GROUP BY id_number),
tax_money AS (
  SELECT en.*, t.tax_fen FROM enrolled en JOIN (
    SELECT a.enrollment_id, sum(a.amount_fen) AS tax_fen FROM payment_allocations a
    JOIN payments p ON p.id = a.payment_id WHERE p.channel = 'tax' GROUP BY a.enrollment_id
  ) t USING (enrollment_id) WHERE t.tax_fen > 0),
elsewhere AS (
  SELECT * FROM reference WHERE kind = 'insured_elsewhere'
  QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY list_id, list_id) = 1),
students AS (
  SELECT id_number, list_id AS student_list, detail AS school FROM reference WHERE kind = 'students'
  QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY list_id) = 1),
aged AS (
  SELECT en.*, s.student_list, s.school,
         {year} - year(en.birth_date) - CASE WHEN month(en.birth_date) * 100 + day(en.birth_date) > 101
                                             THEN 1 ELSE 0 END AS age
  FROM enrolled en LEFT JOIN students s USING (id_number)
  WHERE en.state IN ('assessed', 'notified', 'paid', 'effective'))
SELECT 'unenrolled' AS kind, CASE WHEN l.id_number IS NULL THEN 'never' ELSE 'lapsed' END AS code, p.id_number,
       coalesce(r.name, p.name) AS name, r.id AS resident_id, coalesce(r.township_code, p.township_code, '')
       AS township_code, coalesce(r.village_code, p.village_code) AS village_code, p.list_id, {none}
FROM register p LEFT JOIN last_year l USING (id_number) LEFT JOIN residents r USING (id_number)
WHERE NOT EXISTS (SELECT 1 FROM gone g WHERE g.id_number = p.id_number)
UNION ALL
SELECT 'special_group_unenrolled', f.identity, r.id_number, r.name, r.id, r.township_code, r.village_code,
       NULL, f.since, NULL, NULL
FROM (SELECT resident_id, min(identity) AS identity, min(valid_from) AS since FROM flagged_in_year
      GROUP BY resident_id) f JOIN residents r ON r.id = f.resident_id
WHERE NOT EXISTS (SELECT 1 FROM gone g WHERE g.id_number = r.id_number)
UNION ALL
SELECT 'enrolled_twice', coalesce(x.insurance_type, '390'), en.id_number, en.name, en.resident_id,
       en.township_code, en.village_code, x.list_id, NULL, NULL, x.detail
FROM enrolled en JOIN elsewhere x USING (id_number)
UNION ALL
SELECT 'enrolled_twice', 'here', en.id_number, en.name, en.resident_id, en.township_code, en.village_code,
       NULL, NULL, NULL, NULL
FROM enrolled en WHERE en.id_number IN (SELECT id_number FROM enrolled GROUP BY id_number HAVING count(*) > 1)
UNION ALL
SELECT 'enrolled_twice', 'same_person', en.id_number, en.name, en.resident_id, en.township_code, en.village_code,
       NULL, NULL, NULL, NULL
FROM enrolled en JOIN (
  SELECT name, birth_date FROM enrolled WHERE name IS NOT NULL AND birth_date IS NOT NULL
  GROUP BY name, birth_date HAVING min(id_number) <> max(id_number)) alike USING (name, birth_date)
UNION ALL
SELECT 'deceased_enrolled', NULL, en.id_number, en.name, en.resident_id, en.township_code, en.village_code,
       d.list_id, d.event_date, NULL, NULL
FROM enrolled en JOIN deaths d USING (id_number)
WHERE d.event_date < coalesce(en.benefit_start, DATE '{start}')
UNION ALL
SELECT 'subsidy_without_identity', NULL, en.id_number, en.name, en.resident_id, en.township_code,
       en.village_code, NULL, NULL, en.assisted_subsidy_fen, NULL
FROM enrolled en
WHERE en.state IN ('assessed', 'notified', 'paid', 'effective') AND coalesce(en.assisted_subsidy_fen, 0) > 0
  AND NOT EXISTS (SELECT 1 FROM flagged_in_year f WHERE f.resident_id = en.resident_id)
UNION ALL
SELECT 'identity_without_subsidy', f.identity, en.id_number, en.name, en.resident_id, en.township_code,
       en.village_code, NULL, NULL, NULL, NULL
FROM enrolled en JOIN (
  SELECT u.resident_id, min(c.identity) AS identity FROM enrolled u JOIN certified c USING (resident_id)
  WHERE u.state IN ('assessed', 'notified', 'paid', 'effective') AND coalesce(u.assisted_subsidy_fen, 0) = 0
    AND (c.valid_from IS NULL OR c.valid_from <= coalesce(u.benefit_start, DATE '{start}'))
    AND (c.valid_to IS NULL OR c.valid_to >= coalesce(u.benefit_start, DATE '{start}'))
  GROUP BY u.resident_id) f USING (resident_id)
UNION ALL
SELECT 'category_mismatch', code, id_number, name, resident_id, township_code, village_code, student_list,
       NULL, NULL, coalesce(school, category)
FROM (SELECT *, CASE
        WHEN category = 'adult' AND age < 18 THEN 'minor_as_adult'
        WHEN category IN ('student', 'child', 'newborn') AND age >= 18 AND student_list IS NULL
          THEN 'adult_as_student'
        WHEN category = 'adult' AND student_list IS NOT NULL THEN 'student_as_adult' END AS code FROM aged)
WHERE code IS NOT NULL
UNION ALL
SELECT 'tax_not_recorded', NULL, t.id_number, coalesce(r.name, t.name), r.id,
       coalesce(r.township_code, t.township_code, ''), coalesce(r.village_code, t.village_code), t.list_id,
       t.paid_on, t.paid_fen, NULL
FROM tax_list t LEFT JOIN residents r USING (id_number)
WHERE NOT EXISTS (SELECT 1 FROM tax_money m WHERE m.id_number = t.id_number)
UNION ALL
SELECT 'tax_missing', NULL, m.id_number, m.name, m.resident_id, m.township_code, m.village_code, NULL, NULL,
       m.tax_fen, NULL
FROM tax_money m WHERE NOT EXISTS (SELECT 1 FROM tax_list t WHERE t.id_number = m.id_number)
"""
