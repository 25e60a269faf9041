// name: path
// question: How is X related to Y: the shortest connections between two named nodes (not through the study hub)?
// param from: node = "" | id or exact name of the first node (e.g. PB)
// param to: node = "" | id or exact name of the second node (e.g. Bonds)
// columns: length, kinds, names
// keep order: kinds, names
// (Ladybug's spelling of all shortest paths; see path.cypher)
MATCH p = (a:{{from}})-[:{{path_rels}}* ALL SHORTEST 1..6]-(b:{{to}})
WHERE a.id IN $from AND b.id IN $to AND a.id <> b.id
RETURN length(p) AS length, properties(nodes(p), 'kind') AS kinds, properties(nodes(p), 'name') AS names
