"""登记册审核: a village’s roster through the review chain its plan prescribes (see docs/review.md)."""
