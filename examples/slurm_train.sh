#!/usr/bin/env bash
# Train the Fashion-MNIST CNN on 4 machines × 2 processes with MPI under Slurm:
#
#     sbatch examples/slurm_train.sh
#
# One process per core pair, one BLAS thread each; rank 0 prints and writes runs/slurm-JOBID.
# Needs zennet with the MPI extra in the environment on every node (a shared filesystem):
#     pip install -e ".[mpi]"        # mpi4py + the mpich wheel; or mpi4py built on the cluster's MPI
#SBATCH --job-name=zennet-ddp
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=2
#SBATCH --cpus-per-task=1
#SBATCH --time=01:00:00
#SBATCH --output=zennet-%j.log
set -euo pipefail

export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1} OPENBLAS_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
export ZENNET_DIST_TIMEOUT=600   # a rank silent for 10 minutes ends the job, naming it
OUT=runs/slurm-${SLURM_JOB_ID:-local}
ARGS=(train --data "${DATA:-fashion-mnist}" --model "${MODEL:-cnn}" --epochs "${EPOCHS:-10}"
      --batch-size 64 --out "$OUT")

if [ "${ZENNET_LAUNCHER:-srun}" = srun ]; then
    # Slurm starts the ranks itself; PMI-2 is what the mpich wheel's MPI speaks
    srun --mpi=pmi2 python -m zennet "${ARGS[@]}"
else
    # or MPI's own launcher, inside the allocation (it reads the node list from Slurm)
    mpiexec -n "$SLURM_NTASKS" python -m zennet "${ARGS[@]}"
fi
# Resume with any number of processes: python -m zennet train --resume "$OUT" (under srun or not)
