// name: review-matrix
// question: Which study contributes what to which review finding (themes, findings and extracts linked, and disconfirming links)?
// param review: string = "" | a review id (as in its review.yaml); empty for all reviews
// columns: review, finding, study, themes, findings, extracts, disconfirming
MATCH (r:Review)-[:HAS_FINDING]->(f:ReviewFinding)-[s:SYNTHESISES]->(x)
WHERE ($review = '' OR r.id = 'review/' + $review) AND s.status = 'accepted'
RETURN r.name AS review, f.name AS finding, x.study AS study,
       count(DISTINCT CASE WHEN x.kind = 'Theme' AND s.stance = 'supports' THEN x.id END) AS themes,
       count(DISTINCT CASE WHEN x.kind = 'Finding' AND s.stance = 'supports' THEN x.id END) AS findings,
       count(DISTINCT CASE WHEN x.kind = 'Extract' AND s.stance = 'supports' THEN x.id END) AS extracts,
       count(DISTINCT CASE WHEN s.stance = 'disconfirms' THEN x.id END) AS disconfirming
ORDER BY review, finding, study
