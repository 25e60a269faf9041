// name: extends-theory
// question: Where does a study add to a theory (EXTENDS links to the theory, its constructs or the work proposing it), with what evidence?
// param theory: string = "" | part of a theory, construct or work name; empty for all
// param study: string = "" | a study id; empty for all studies
// columns: study, finding, target_kind, target, theory, evidence, themes
MATCH (f:Finding)-[r:EXTENDS]->(x)
WHERE $study = '' OR f.study = $study
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
OPTIONAL MATCH (f)-[:DERIVED_FROM]->(th:Theme)
WITH f, r, x, theory, collect(th.name) AS themes
RETURN f.study AS study, f.name AS finding, x.kind AS target_kind, x.name AS target, theory AS theory,
       r.evidence AS evidence, themes AS themes
ORDER BY study, finding, target_kind, target, evidence
