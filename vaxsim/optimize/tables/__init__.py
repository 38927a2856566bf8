"""The plan's tables from the realised run (reference, movements, bookings, appointments, the
person behind each next dose), with their ids and text columns.

Phases import only earlier ones: setup → lp → realise → (rolling) → tables.
"""
