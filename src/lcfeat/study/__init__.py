"""The population study: drawing the validation set (`selection`, `strata`), comparing planet
hosts with quiet stars (`analysis`, `report`), and injection-recovery of the transit search
(`injection`)."""
