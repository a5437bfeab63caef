"""The lab: 2-D test surfaces and optimizer paths over them, gradient checks and the learning-rate range test."""
