"""The lab: 2-D test surfaces and optimizer paths over them, gradient checks and the learning-rate range test."""

# a landscape job's run row counts progress in hundredths; here, torch-free, for the web process that queues it
PROGRESS_STEPS = 100
