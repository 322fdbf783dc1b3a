"""accelsmith.hdl"""
