"""accelsmith.dse.explorers"""
