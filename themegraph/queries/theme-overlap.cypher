// name: theme-overlap
// question: Which pairs of themes share codes or extracts?
// param study: string = "" | a study id; empty for all studies
// columns: study, theme_a, theme_b, shared_codes, shared_extracts, codes
MATCH (a:Theme)<-[:IN_THEME|ILLUSTRATES]-(x)-[:IN_THEME|ILLUSTRATES]->(b:Theme)
WHERE a.id < b.id AND ($study = '' OR a.study = $study)
  AND NOT (a)-[:SUBTHEME_OF]->(b) AND NOT (b)-[:SUBTHEME_OF]->(a)
WITH a, b,
     count(DISTINCT CASE WHEN x.kind = 'Code' THEN x.id END) AS shared_codes,
     count(DISTINCT CASE WHEN x.kind = 'Extract' THEN x.id END) AS shared_extracts,
     collect(DISTINCT CASE WHEN x.kind = 'Code' THEN x.name END) AS codes
RETURN a.study AS study, a.name AS theme_a, b.name AS theme_b, shared_codes AS shared_codes,
       shared_extracts AS shared_extracts, codes AS codes
ORDER BY study, shared_codes DESC, shared_extracts DESC, theme_a, theme_b
