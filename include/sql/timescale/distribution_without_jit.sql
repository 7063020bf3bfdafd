-- Turn JIT compilation off for the rest of the transaction that reads the data distribution.
-- Guide section: "Check Data Distribution" (support). Its statements join many cheap per-chunk parts (UNION ALL);
-- their estimated cost passes jit_above_cost, and compiling them took 70-100 ms for about 30 ms of work on 10 M rows.
-- Parameters: none. Local to the transaction (set_config(..., true)): the session keeps its own setting.
-- Safe to re-run: yes.
SELECT set_config('jit', 'off', true)
