// name: evidence-chain
// question: What lies beneath a finding or theme: the themes, extracts, codes and participants, down to the quote?
// param node: string = "" | a finding or theme, by (part of) its id or name; empty for every final theme
// param study: string = "" | a study id; empty for all studies
// columns: study, start, theme, emerging_themes, extract, participant, quote, codes
MATCH (st:Study)<-[:IN_STUDY]-(s)-[:DERIVED_FROM*0..1]->(top:Theme)
WHERE (s.kind = 'Finding' OR s.kind = 'Theme')
  AND ($study = '' OR st.id = $study)
  AND (($node = '' AND s.level = 'final')
       OR ($node <> '' AND (s.id CONTAINS $node OR toLower(s.name) CONTAINS toLower($node))))
MATCH (th:Theme)-[:SUBTHEME_OF*0..4]->(top)
MATCH (e:Extract)-[:ILLUSTRATES]->(th)
WITH s, top, e, collect(DISTINCT CASE WHEN th.id = top.id THEN NULL ELSE th.name END) AS ems
OPTIONAL MATCH (e)-[:SPOKEN_BY]->(p:Participant)
OPTIONAL MATCH (e)-[:CODED_AS]->(c:Code)
WITH s, top, e, ems, p, collect(c.name) AS codes
RETURN s.study AS study, s.name AS start, top.name AS theme, ems AS emerging_themes,
       e.name AS extract, p.name AS participant, e.text AS quote, codes AS codes
ORDER BY study, start, theme, extract
