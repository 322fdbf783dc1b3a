"""cocotb testbenches (driver, monitor, reference model, scoreboard), one per family."""
