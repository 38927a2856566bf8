"""Ids of things generated from a scenario (stores and sites not listed one by one)."""

from __future__ import annotations


def provincial_store_id(province_id: str) -> str:
    """Id of the store generated for a province."""
    return f"store-{province_id}"


def district_store_id(district_id: str) -> str:
    """Id of the store generated for a district."""
    return f"store-{district_id}"


def generated_site_id(district_id: str, site_type: str, number: int) -> str:
    """Id of the ``number``-th (1-based) site of ``site_type`` generated in a district."""
    return f"{district_id}-{site_type}-{number}"
