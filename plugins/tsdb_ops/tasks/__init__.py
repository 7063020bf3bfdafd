"""The Airflow shell: one module per DAG, named like it, holding that DAG's task bodies.

A task body gathers its inputs (config, connections, the run's params and upstream results), calls the subject
packages' pure decisions and database steps, logs what it did, and returns plain data for the next task. Only this
package, ``alerts``, ``db``, ``docker`` and config loading import Airflow.
"""
