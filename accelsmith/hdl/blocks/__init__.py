"""accelsmith.hdl.blocks"""
