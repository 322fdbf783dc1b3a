"""accelsmith.dse"""
