"""Metadata records the filter tests (knowledge base and vector index backends) match against."""

RECORDS = [
    {"author.name": "Jane", "stars": 5, "updated_at": "2024-12-31T23:00:00Z", "tags[*].name": ["python", "rag"]},
    {"author.name": "John", "stars": 50, "updated_at": "2025-01-01T00:00:00Z", "tags[*].name": ["go"]},
    {"author.name": "jane", "stars": "12", "updated_at": "2025-06-15", "tags[*].name": ["python"]},
    {"author.name": "Jane Doe", "stars": 7.5, "updated_at": "2023-03-01T10:00:00+02:00", "tags[*].name": []},
    {"stars": None, "updated_at": None},
]
