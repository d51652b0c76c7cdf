"""The enforcement dossier (一企一册): findings, cases and deadlines on the shared event store."""
