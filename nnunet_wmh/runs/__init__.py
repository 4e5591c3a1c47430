"""The run machinery every long command shares: run options (:mod:`.options`), parallel work with progress
(:mod:`.parallel`), atomic outputs (:mod:`.outputs`), sharded parts and their merge (:mod:`.parts`), the
per-item ledger that lets a run resume (:mod:`.ledger`) and the end-of-run summary (:mod:`.summary`)."""
