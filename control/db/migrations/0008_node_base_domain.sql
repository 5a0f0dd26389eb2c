-- nodes.base_domain: the DNS name a node serves apps under (ws-{id}.{base_domain}), NULL until it reports one.
ALTER TABLE `nodes` ADD `base_domain` text;