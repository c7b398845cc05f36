"""Built-in stages, one family per module. Each module registers its stages when imported;
`headroom.pipeline.registry.BUILT_IN` names the module of every built-in stage, so a lookup imports only
the module it needs."""
