// name: path
// question: How is X related to Y: the shortest connections between two named nodes (not through the study hub)?
// param from: string = "" | id or exact name of the first node (e.g. PB)
// param to: string = "" | id or exact name of the second node (e.g. Bonds)
// columns: length, kinds, names
// keep order: kinds, names
MATCH p = (a)-[:IN_THEME|SUBTHEME_OF|CODED_AS|ILLUSTRATES|SPOKEN_BY|CITES|AUTHORED_BY|PROPOSED_IN|PART_OF|DERIVED_FROM|SUPPORTS|EXTENDS|CHALLENGES|IN_DOCUMENT|DOCUMENT_OF|ANNOTATES|IN_SET|LINKED_TO|CODED_BY* ALL SHORTEST 1..6]-(b)
WHERE (a.id = $from OR a.name = $from) AND (b.id = $to OR b.name = $to) AND a.id <> b.id
RETURN length(p) AS length, properties(nodes(p), 'kind') AS kinds, properties(nodes(p), 'name') AS names
