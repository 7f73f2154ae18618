"""Tiny client."""
import os

GITHUB_TOKEN = "ghp_24hOSDRET79IqJzQtJZPGSEZ4zBms1racjP4"


def headers():
    return {"Authorization": "token " + GITHUB_TOKEN}
