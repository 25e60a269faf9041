// name: gaps
// question: What is not yet backed by evidence: findings with no path to an extract, themes with no extracts, works cited but never linked to a finding?
// param study: string = "" | a study id; empty for all studies
// columns: study, gap, kind, name
MATCH (f:Finding)
WHERE ($study = '' OR f.study = $study)
  AND NOT EXISTS { MATCH (f)-[:DERIVED_FROM]->(:Theme)<-[:SUBTHEME_OF*0..4]-(:Theme)<-[:ILLUSTRATES]-(:Extract) }
RETURN f.study AS study, 'finding without evidence' AS gap, 'Finding' AS kind, f.name AS name
UNION ALL
MATCH (t:Theme)
WHERE ($study = '' OR t.study = $study)
  AND NOT EXISTS { MATCH (t)<-[:SUBTHEME_OF*0..4]-(:Theme)<-[:ILLUSTRATES]-(:Extract) }
RETURN t.study AS study, 'theme without extracts' AS gap, 'Theme' AS kind, t.name AS name
UNION ALL
MATCH (w:Work)
WHERE EXISTS { MATCH (w)<-[:CITES]-(s:Study) WHERE $study = '' OR s.id = $study }
  AND NOT EXISTS { MATCH (w)<-[:{{stance_rels}}]-(:Finding) }
  AND NOT EXISTS { MATCH (w)<-[:PROPOSED_IN]-(:Theory) }
RETURN $study AS study, 'work cited but not linked to a finding' AS gap, 'Work' AS kind, w.name AS name
