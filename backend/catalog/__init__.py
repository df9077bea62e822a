"""The catalog: the control plane's database of policies, assignments, jobs, restore points and the rest."""
