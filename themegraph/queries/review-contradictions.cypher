// name: review-contradictions
// question: Which review findings have contradicting evidence: links marked disconfirming, or contributing study findings that challenge a theory or work?
// param review: string = "" | a review id (as in its review.yaml); empty for all reviews
// columns: review, finding, kind, study, evidence, detail
MATCH (r:Review)-[:HAS_FINDING]->(f:ReviewFinding)-[s:SYNTHESISES]->(x)
WHERE ($review = '' OR r.id = 'review/' + $review) AND s.status = 'accepted' AND s.stance = 'disconfirms'
RETURN r.name AS review, f.name AS finding, 'disconfirms' AS kind, x.study AS study, x.name AS evidence, s.note AS detail
UNION ALL
MATCH (r:Review)-[:HAS_FINDING]->(f:ReviewFinding)-[s:SYNTHESISES]->(x:Finding)-[c:CHALLENGES]->(t)
WHERE ($review = '' OR r.id = 'review/' + $review) AND s.status = 'accepted' AND s.stance = 'supports'
RETURN r.name AS review, f.name AS finding, 'challenges' AS kind, x.study AS study, x.name AS evidence,
       t.name AS detail
