// name: theory-links
// question: Which findings support, extend or challenge which works, theories and constructs, and with what evidence?
// param theory: string = "" | part of a theory, construct or work name (e.g. Bordin); empty for all
// param stance: enum[{{stances}}] = "" | supports, extends or challenges (any case); empty for all
// param study: string = "" | a study id; empty for all studies
// columns: study, finding, stance, target_kind, target, theory, evidence
MATCH (f:Finding)-[r]->(x)
WHERE r.kind IN {{stance_kinds}}
  AND ($study = '' OR f.study = $study)
  AND ($stance = '' OR toLower(r.kind) = toLower($stance))
OPTIONAL MATCH (x)-[:PART_OF]->(ct:Theory)
OPTIONAL MATCH (ct)-[:PROPOSED_IN]->(cw:Work)
OPTIONAL MATCH (x)-[:PROPOSED_IN]->(xw:Work)
OPTIONAL MATCH (wt:Theory)-[:PROPOSED_IN]->(x)
WITH f, r, x,
     CASE WHEN x.kind = 'Theory' THEN x.name ELSE coalesce(ct.name, wt.name) END AS theory,
     coalesce(cw.name, xw.name, '') AS proposer
WHERE $theory = ''
   OR toLower(x.name) CONTAINS toLower($theory)
   OR toLower(coalesce(theory, '')) CONTAINS toLower($theory)
   OR toLower(proposer) CONTAINS toLower($theory)
RETURN f.study AS study, f.name AS finding, toLower(r.kind) AS stance, x.kind AS target_kind,
       x.name AS target, theory AS theory, r.evidence AS evidence
ORDER BY study, finding, stance, target_kind, target, evidence
