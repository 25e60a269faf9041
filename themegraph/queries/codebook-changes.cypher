// name: codebook-changes
// question: Which codes were added, removed, renamed or merged between two versions of a study's codebook?
// param study: string = "" | a study id
// param from: string = "" | the earlier version's label (as given to --version)
// param to: string = "" | the later version's label
// columns: change, code_before, code_after, shared_extracts, extracts_before, extracts_after
// (a code of the earlier version that the later one lacks was renamed if extracts it had are now
//  coded to a new code, merged if they are now coded to a code that did not have them before, and
//  removed otherwise; a new code that took no such extracts was added)
MATCH (va:CodebookVersion) WHERE va.study = $study AND va.name = $from
MATCH (vb:CodebookVersion) WHERE vb.study = $study AND vb.name = $to
MATCH (a:VersionCode)-[:IN_VERSION]->(va)
WHERE NOT EXISTS { MATCH (s:VersionCode)-[:IN_VERSION]->(vb) WHERE s.code = a.code }
MATCH (b:VersionCode)-[:IN_VERSION]->(vb)
WHERE any(x IN a.extracts WHERE x IN b.extracts)
OPTIONAL MATCH (before:VersionCode)-[:IN_VERSION]->(va) WHERE before.code = b.code
WITH a, b, before
WHERE before IS NULL OR any(x IN a.extracts WHERE x IN b.extracts AND NOT x IN before.extracts)
UNWIND a.extracts AS x
WITH a, b, before, x
WHERE x IN b.extracts
RETURN CASE WHEN before IS NULL THEN 'renamed' ELSE 'merged' END AS change, a.path AS code_before,
       b.path AS code_after, count(x) AS shared_extracts, size(a.extracts) AS extracts_before,
       size(b.extracts) AS extracts_after
UNION ALL
MATCH (va:CodebookVersion) WHERE va.study = $study AND va.name = $from
MATCH (vb:CodebookVersion) WHERE vb.study = $study AND vb.name = $to
MATCH (a:VersionCode)-[:IN_VERSION]->(va)
WHERE NOT EXISTS { MATCH (s:VersionCode)-[:IN_VERSION]->(vb) WHERE s.code = a.code }
OPTIONAL MATCH (b:VersionCode)-[:IN_VERSION]->(vb) WHERE any(x IN a.extracts WHERE x IN b.extracts)
OPTIONAL MATCH (before:VersionCode)-[:IN_VERSION]->(va) WHERE before.code = b.code
WITH a, b, before
WITH a, sum(CASE WHEN b IS NOT NULL AND (before IS NULL OR any(x IN a.extracts WHERE x IN b.extracts AND NOT x IN before.extracts))
                 THEN 1 ELSE 0 END) AS targets
WHERE targets = 0
RETURN 'removed' AS change, a.path AS code_before, '' AS code_after, 0 AS shared_extracts,
       size(a.extracts) AS extracts_before, 0 AS extracts_after
UNION ALL
MATCH (va:CodebookVersion) WHERE va.study = $study AND va.name = $from
MATCH (vb:CodebookVersion) WHERE vb.study = $study AND vb.name = $to
MATCH (b:VersionCode)-[:IN_VERSION]->(vb)
WHERE NOT EXISTS { MATCH (s:VersionCode)-[:IN_VERSION]->(va) WHERE s.code = b.code }
OPTIONAL MATCH (a:VersionCode)-[:IN_VERSION]->(va) WHERE any(x IN b.extracts WHERE x IN a.extracts)
OPTIONAL MATCH (kept:VersionCode)-[:IN_VERSION]->(vb) WHERE kept.code = a.code
WITH b, sum(CASE WHEN a IS NOT NULL AND kept IS NULL THEN 1 ELSE 0 END) AS sources
WHERE sources = 0
RETURN 'added' AS change, '' AS code_before, b.path AS code_after, 0 AS shared_extracts, 0 AS extracts_before,
       size(b.extracts) AS extracts_after
