// name: review-findings
// question: What does each review finding draw on: how many studies and links support it, how many disconfirm it, and with what confidence?
// param review: string = "" | a review id (as in its review.yaml); empty for all reviews
// columns: review, finding, confidence, studies, supporting, disconfirming, statement
MATCH (r:Review)-[:HAS_FINDING]->(f:ReviewFinding)-[s:SYNTHESISES]->(x)
WHERE ($review = '' OR r.id = 'review/' + $review) AND s.status = 'accepted'
RETURN r.name AS review, f.name AS finding, f.confidence AS confidence,
       collect(DISTINCT CASE WHEN s.stance = 'supports' THEN x.study END) AS studies,
       count(DISTINCT CASE WHEN s.stance = 'supports' THEN x.id END) AS supporting,
       count(DISTINCT CASE WHEN s.stance = 'disconfirms' THEN x.id END) AS disconfirming,
       f.statement AS statement
ORDER BY review, finding
