-- workspaces.shell: the terminal's login shell; NULL: bash where the workspace has it, else sh.
ALTER TABLE `workspaces` ADD `shell` text;