"""Demo and load-test data: people, organizations, products and realistic tickets.

``seed.py`` is what ``manage.py seed_demo`` runs; ``conversations.py`` plays hand-shaped
tickets through the services; ``factory.py`` generates rows for the bulk loader.
"""
