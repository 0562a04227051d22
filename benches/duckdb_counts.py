"""What `eventscope check` counts, as SQL in DuckDB (PyPI `duckdb`), for benches/check_vs_jq.sh:
exact duplicates (same source, id, type and data; dead-letter copies excluded), out-of-order
sequences (a sequence below the highest before it per source + subject in log order, repeats
excluded) and orphan causes (a causation id no event carries, repeats excluded).
Usage: python3 benches/duckdb_counts.py TRACE.jsonl  -> one line with the three counts and the time.
"""
import duckdb, sys, time
f = sys.argv[1]
t = time.time()
con = duckdb.connect()
con.execute(f"""CREATE TABLE t AS SELECT id, type, source, correlationid, causationid, sequence, subject,
  topic, "partition" AS part, "offset" AS off, CAST(data AS VARCHAR) AS data
  FROM read_json('{f}', format='newline_delimited', columns={{id:'VARCHAR', type:'VARCHAR', source:'VARCHAR',
  correlationid:'VARCHAR', causationid:'VARCHAR', sequence:'BIGINT', subject:'VARCHAR', topic:'VARCHAR',
  "partition":'INTEGER', "offset":'BIGINT', data:'JSON'}}) WHERE id IS NOT NULL""")
dup = con.execute("""SELECT coalesce(sum(c - 1), 0) FROM (SELECT count(*) c FROM t
  WHERE NOT regexp_matches(topic, '(?i)(dlq|dead[-_.]?letters?|\\.dlt$|[-_]dlt$)')
  GROUP BY source, id, type, data)""").fetchone()[0]
ooo = con.execute("""SELECT count(*) FROM (SELECT sequence, max(sequence) OVER (PARTITION BY source, subject
  ORDER BY topic, part, off ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS m
  FROM (SELECT * FROM t WHERE sequence IS NOT NULL AND subject IS NOT NULL
        AND NOT regexp_matches(topic, '(?i)(dlq|dead[-_.]?letters?|\\.dlt$|[-_]dlt$)')
        QUALIFY row_number() OVER (PARTITION BY source, id, type, data ORDER BY topic, part, off) = 1))
  WHERE sequence < m""").fetchone()[0]
orphan = con.execute("""SELECT count(*) FROM (SELECT * FROM t
  WHERE NOT regexp_matches(topic, '(?i)(dlq|dead[-_.]?letters?|\\.dlt$|[-_]dlt$)')
  QUALIFY row_number() OVER (PARTITION BY source, id, type, data ORDER BY topic, part, off) = 1) a
  WHERE causationid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM t b WHERE b.id = a.causationid)""").fetchone()[0]
print(f"duckdb: duplicate {dup}, out_of_order {ooo}, orphan_cause {orphan} in {time.time() - t:.2f} s")
